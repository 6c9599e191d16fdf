from . import views

routes = [
    ("deliveries", views.DeliveryViewSet, "delivery"),
    ("preferences", views.NotificationPreferenceViewSet, "notificationpreference"),
]
