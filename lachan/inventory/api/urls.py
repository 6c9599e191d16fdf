from . import views

routes = [
    ("systems", views.InformationSystemViewSet, "informationsystem"),
    ("hosts", views.HostViewSet, "host"),
    ("prefixes", views.IPPrefixViewSet, "ipprefix"),
    ("domains", views.DomainViewSet, "domain"),
    ("websites", views.WebsiteViewSet, "website"),
    ("software", views.SoftwareViewSet, "software"),
]
