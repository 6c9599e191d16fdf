from django import forms
from django.utils.translation import gettext_lazy as _

from lachan.core.forms import BootstrapFormMixin
from lachan.core.scope import CHANGE, VIEW
from lachan.organizations.choices import UnitKind
from lachan.organizations.models import Unit, UnitGroup

from .checks import check_choices
from .choices import AnswerStatus, DocType, TaskTarget


class DirectiveImportForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("Letter (.txt, .md, .docx or .pdf)"))
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("Issuing unit"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.restrict(user, CHANGE)
        if getattr(user, "unit_id", None):
            self.fields["unit"].initial = user.unit_id


class DirectiveReviewForm(BootstrapFormMixin, forms.Form):
    doc_type = forms.ChoiceField(choices=DocType.choices, label=_("Document type"))
    number = forms.CharField(max_length=100, required=False, label=_("Number"))
    number_blank = forms.BooleanField(required=False, label=_("Number left blank"))
    issuer = forms.CharField(max_length=300, required=False, label=_("Issuer"))
    date = forms.DateField(required=False, label=_("Date"), input_formats=["%d/%m/%Y", "%Y-%m-%d"],
                           widget=forms.DateInput(format="%d/%m/%Y"), help_text=_("dd/mm/yyyy"))
    subject = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Subject"))


class TaskRowForm(BootstrapFormMixin, forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("Task"))
    deadline = forms.DateField(required=False, label=_("Deadline"), input_formats=["%d/%m/%Y", "%Y-%m-%d"],
                               widget=forms.DateInput(format="%d/%m/%Y"))
    target = forms.ChoiceField(choices=TaskTarget.choices, initial=TaskTarget.ALL, label=_("Addressed to"))
    target_group = forms.ModelChoiceField(queryset=UnitGroup.objects.all(), required=False, label=_("Unit group"))
    target_kind = forms.ChoiceField(choices=[("", "—"), *UnitKind.choices], required=False, label=_("Unit kind"))
    check_key = forms.ChoiceField(choices=check_choices, required=False, label=_("Live check"))
    DELETE = forms.BooleanField(required=False, label=_("Drop"))


TaskFormSet = forms.formset_factory(TaskRowForm, extra=1)


class DispatchForm(BootstrapFormMixin, forms.Form):
    units = forms.ModelMultipleChoiceField(queryset=Unit.objects.none(), label=_("Recipient units"),
                                           widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, user, directive, **kwargs):
        super().__init__(*args, **kwargs)
        from .services import candidate_units

        self.fields["units"].queryset = candidate_units(directive) & Unit.objects.restrict(user, VIEW)


class AnswerForm(BootstrapFormMixin, forms.Form):
    status = forms.ChoiceField(choices=AnswerStatus.choices, label=_("Status"))
    reason = forms.CharField(max_length=500, required=False, label=_("Reason (not applicable)"))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Note"))
    evidence = forms.FileField(required=False, label=_("Evidence file"))


class ReissueForm(BootstrapFormMixin, forms.Form):
    keep = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple, label=_("Tasks to keep"))
    extra = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("New tasks"),
                            help_text=_("One task per line"))

    def __init__(self, *args, directive, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].choices = [(str(t.pk), str(t)) for t in directive.tasks.all()]


class MatrixFilterForm(BootstrapFormMixin, forms.Form):
    group = forms.ModelChoiceField(queryset=UnitGroup.objects.all(), required=False, label=_("Unit group"))
    status = forms.ChoiceField(choices=[("", "—"), *AnswerStatus.choices], required=False, label=_("Status"))
    overdue = forms.BooleanField(required=False, label=_("Overdue only"))
