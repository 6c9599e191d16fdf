from rest_framework import viewsets

from lachan.core.scope import CHANGE, VIEW


class ScopedModelViewSet(viewsets.ModelViewSet):
    """CRUD over ``queryset`` restricted to the requesting user's scope: reads use the view scope,
    writes the change scope, so an out-of-scope object is a 404 either way."""

    def get_queryset(self):
        action = VIEW if self.request.method in ("GET", "HEAD", "OPTIONS") else CHANGE
        return super().get_queryset().restrict(self.request.user, action)

    def get_serializer_context(self):
        return super().get_serializer_context() | {"user": self.request.user}
