from . import views

routes = [
    ("units", views.UnitViewSet, "unit"),
    ("groups", views.UnitGroupViewSet, "unitgroup"),
    ("contacts", views.ContactViewSet, "contact"),
    ("directory", views.ExternalContactViewSet, "externalcontact"),
]
