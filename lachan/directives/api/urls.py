from . import views

routes = [
    ("directives", views.DirectiveViewSet, "directive"),
    ("dispatches", views.DispatchViewSet, "dispatch"),
    ("answers", views.TaskAnswerViewSet, "taskanswer"),
]
