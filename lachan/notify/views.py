from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from lachan.core.views import generic

from . import filtersets, forms, selectors, services, tables
from .models import Delivery, NotificationPreference


class DeliveryListView(generic.ObjectListView):
    """The delivery log: a unit user sees the deliveries of its units, coordinators and auditors all."""

    model = Delivery
    filterset_class = filtersets.DeliveryFilterSet
    table_class = tables.DeliveryTable
    select_related = ("unit",)

    def base_context(self):
        return super().base_context() | {"can_change": False}


class DeliveryDetailView(generic.ObjectDetailView):
    model = Delivery
    select_related = ("unit", "user")

    def base_context(self):
        return super().base_context() | {"can_change": False}


class NotificationPreferenceListView(generic.ObjectListView):
    """Who on the user's units is reached how (read-only; each user edits their own on ``preferences``)."""

    model = NotificationPreference
    filterset_class = filtersets.NotificationPreferenceFilterSet
    table_class = tables.NotificationPreferenceTable
    select_related = ("user",)

    def base_context(self):
        return super().base_context() | {"can_change": False}


class NotificationPreferenceDetailView(generic.ObjectDetailView):
    model = NotificationPreference
    select_related = ("user",)

    def base_context(self):
        return super().base_context() | {"can_change": False}

    def get_extra_context(self, obj):
        return {"is_own": obj.user_id == self.request.user.pk}


class PreferenceMixin(LoginRequiredMixin):
    """A user's own notification preferences; anybody else's are a 404."""

    model = NotificationPreference

    def own(self, pk):
        return get_object_or_404(selectors.own_preferences(self.request.user), pk=pk)

    def save(self, form, template, context):
        if form.is_valid():
            try:
                services.preference_save(form.save(commit=False), user=self.request.user)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(self.request, _("Saved."))
                return redirect("notify:preferences")
        return render(self.request, template, context | {"form": form})


class PreferencesView(PreferenceMixin, View):
    template = "notify/preferences.html"

    def context(self):
        return {"preferences": selectors.own_preferences(self.request.user)}

    def get(self, request):
        return render(request, self.template, self.context() | {"form": forms.PreferenceForm(user=request.user)})

    def post(self, request):
        form = forms.PreferenceForm(request.POST, instance=NotificationPreference(user=request.user),
                                    user=request.user)
        return self.save(form, self.template, self.context())


class PreferenceEditView(PreferenceMixin, View):
    template = "notify/preference_change.html"

    def get(self, request, pk):
        preference = self.own(pk)
        form = forms.PreferenceForm(instance=preference, user=request.user)
        return render(request, self.template, {"form": form, "object": preference})

    def post(self, request, pk):
        preference = self.own(pk)
        form = forms.PreferenceForm(request.POST, instance=preference, user=request.user)
        return self.save(form, self.template, {"object": preference})


class PreferenceDeleteView(PreferenceMixin, View):
    def get(self, request, pk):
        raise Http404

    def post(self, request, pk):
        self.own(pk).delete()
        messages.success(request, _("Deleted."))
        return redirect("notify:preferences")
