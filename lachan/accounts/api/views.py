from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS

from lachan.accounts.filtersets import UserFilterSet
from lachan.accounts.models import User
from lachan.accounts.validators import can_manage_user
from lachan.core.api.viewsets import ScopedModelViewSet

from . import serializers


class UserViewSet(ScopedModelViewSet):
    """User accounts of your unit and its sub-units. Unit administrators manage them but cannot give the coordinator or auditor role."""

    queryset = User.objects.select_related("unit")
    serializer_class = serializers.UserSerializer
    filterset_class = UserFilterSet
    ordering_fields = ("username", "first_name", "last_name", "email", "role", "unit__path", "last_login",
                       "date_joined")

    def get_object(self):
        user = super().get_object()
        if self.request.method not in SAFE_METHODS and not can_manage_user(self.request.user, user):
            raise PermissionDenied(_("Only a coordinator may change the account of %(user)s.") % {"user": user})
        return user
