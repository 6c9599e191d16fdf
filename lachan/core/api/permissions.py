from rest_framework.permissions import SAFE_METHODS, BasePermission

from lachan.core.scope import CHANGE, VIEW, can


class ScopedPermission(BasePermission):
    """Authenticated users only; writes need a write role for the model. Which rows are reachable
    is decided by the viewset's queryset (``restrict``), never here."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        model = getattr(getattr(view, "queryset", None), "model", None)
        if model is None:
            return True
        return can(user, model, VIEW if request.method in SAFE_METHODS else CHANGE)
