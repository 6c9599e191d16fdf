from . import views

routes = [
    ("users", views.UserViewSet, "user"),
]
