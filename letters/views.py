"""Pages of the target responsibility letters (docs/LETTERS.md). Thin: letters come through
letters.access, reads through letters.selectors, every change through letters.services.

A letter's signer may have no role at all (a deputy, a department head, a member of staff), so the
letter pages ask for a login only and let letters.access decide; HR's pages check the role."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from appraisal.access import scheme_get_for_user
from appraisal.models import Scheme
from orgs.access import has_role, institutions_visible_to
from orgs.confirm import confirmation_required
from orgs.lockout import PasswordLocked, password_reconfirm
from orgs.middleware import client_address
from orgs.models import Role
from orgs.views import apply_errors, role_required

from . import exporting, selectors, services
from .access import letter_get_for_user, letters_visible_to
from .filters import LetterFilterSet, StatusFilterSet
from .forms import CASCADE_ROWS, IssueForm, SignForm, cascade_formset
from .models import LEVEL_ORDER, Letter, LetterItem, Level

CASCADABLE = (Letter.Status.SIGNED, Letter.Status.EFFECTIVE)
LETTERS_PER_PAGE = 50


@login_required
def latest(request):
    """The newest year, for the navigation link that carries none: HR and auditors the newest
    scheme; everyone else the newest year they have a letter in (else the newest open year)."""
    if has_role(request.user, Role.HR, Role.AUDITOR):
        year = Scheme.objects.aggregate(year=Max("year"))["year"]
    else:
        year = letters_visible_to(request.user).aggregate(year=Max("scheme__year"))["year"]
        if year is None:
            year = Scheme.objects.exclude(status=Scheme.Status.DRAFT).aggregate(y=Max("year"))["y"]
    if year is None:
        raise Http404
    return redirect("letters:letter_list", year=year)


@login_required
def letter_list(request, year):
    """The letters of a year the user may read, filtered (status, level, institution, those the
    user signs) and sorted by any column (letters.filters.LetterFilterSet, as the API)."""
    scheme = get_object_or_404(Scheme, year=year)
    show_all = request.GET.get("versions") == "all"
    # 待办's links (letters/todo.py): ?status=issued (waiting for signatures), ?status=signed
    # (waiting for HR's countersignature), &mine=1 (those the user signs).
    status = request.GET.get("status")
    status = status if status in Letter.Status.values else None
    letters = selectors.letter_list(
        user=request.user,
        scheme=scheme,
        include_superseded=show_all or status == Letter.Status.SUPERSEDED,
    )
    filterset = LetterFilterSet(request.GET or None, queryset=letters, request=request)
    sees_all = has_role(request.user, Role.HR, Role.AUDITOR)
    context = {
        "scheme": scheme,
        "filter": filterset,
        "page_obj": Paginator(filterset.qs, LETTERS_PER_PAGE).get_page(request.GET.get("page")),
        "show_all": show_all,
        "status_filter": Letter.Status(status).label if status else None,
        "mine": request.GET.get("mine") == "1",
        "waiting": selectors.letters_waiting(user=request.user),
        "can_see_status": sees_all,
        # A signer without a role reads only their own few letters: nothing to filter.
        "show_filters": sees_all or has_role(request.user, Role.HEAD),
        # Only those who read many institutions' letters choose one.
        "institutions": institutions_visible_to(request.user).order_by("code")
        if sees_all
        else None,
    }
    return render(request, "letters/letter_list.html", context)


def _letter_context(request, letter: Letter) -> dict:
    """What the page and the downloaded file show of a letter: the document and its
    verification."""
    return {
        "letter": letter,
        "doc": selectors.letter_document(letter),
        # None: not signed, so nothing is frozen to verify yet.
        "verified": services.letter_verify(letter) if letter.content_sha256 else None,
    }


def _detail_context(request, letter: Letter, sign_form: SignForm | None = None) -> dict:
    user = request.user
    is_hr = has_role(user, Role.HR)
    signable = letter.status == Letter.Status.ISSUED and user.pk == letter.signer_id
    parent_visible = (
        letter.parent_id is not None
        and letters_visible_to(user).filter(pk=letter.parent_id).exists()
    )
    versions = list(selectors.letter_versions(letter))
    return _letter_context(request, letter) | {
        "versions": versions,
        # What countersigning replaces, and the number a reissue gets (the confirm dialogs).
        "replaces": next(
            (v for v in versions if v.status in (Letter.Status.SIGNED, Letter.Status.EFFECTIVE)),
            None,
        ),
        "next_version": max([letter.version, *(v.version for v in versions)]) + 1,
        "children": selectors.letter_children(user=user, letter=letter),
        "parent_visible": parent_visible,
        "sign_form": (sign_form or SignForm()) if signable else None,
        "can_countersign": is_hr and letter.status == Letter.Status.SIGNED,
        "can_cascade": letter.status in CASCADABLE
        and letter.level != Level.STAFF
        and services.can_cascade(user, letter),
        # HR is told when the targets moved on since this (current) head's letter was issued.
        "outdated": is_hr
        and letter.level == Level.HEAD
        and letter.status != Letter.Status.SUPERSEDED
        and services.letters_outdated(letter.scheme, letter.institution),
    }


@login_required
def letter_detail(request, pk):
    letter = letter_get_for_user(request.user, pk=pk)
    return render(request, "letters/letter_detail.html", _detail_context(request, letter))


@login_required
@require_POST
def letter_sign(request, pk):
    letter = letter_get_for_user(request.user, pk=pk)
    # Only the holder signs: HR, the head of the institution or anyone else may not sign for them.
    if request.user.pk != letter.signer_id:
        raise PermissionDenied
    if letter.status != Letter.Status.ISSUED:
        # Signing twice changes nothing; a replaced version is not signed any more.
        if letter.signed_at is None:
            messages.error(request, _("This version has been replaced; sign the newer one."))
        return redirect("letters:letter_detail", pk=letter.pk)
    form = SignForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            # Counted toward the login's lockout, outside the signing's transaction.
            password_reconfirm(
                request,
                user=request.user,
                password=form.cleaned_data["password"],
                wrong=services.WRONG_PASSWORD,
            )
            services.letter_sign(
                actor=request.user,
                letter=letter,
                password=form.cleaned_data["password"],
                client_address=client_address(request),
            )
        except PasswordLocked as error:
            if error.wrong_password:
                services.letter_sign_failed(actor=request.user, letter=letter)
            apply_errors(form, error)
            status = 429
        except ValidationError as error:
            if getattr(error, "error_dict", {}).get("password"):
                services.letter_sign_failed(actor=request.user, letter=letter)
            apply_errors(form, error)
        else:
            messages.success(request, _("You have signed the letter."))
            return redirect("letters:letter_detail", pk=letter.pk)
    context = _detail_context(request, letter, sign_form=form)
    return render(request, "letters/letter_detail.html", context, status=status)


@role_required(Role.HR)
@require_POST
@confirmation_required
def letter_countersign(request, pk):
    letter = letter_get_for_user(request.user, pk=pk)
    try:
        services.letter_countersign(actor=request.user, letter=letter)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The letter is countersigned and in effect."))
    return redirect("letters:letter_detail", pk=letter.pk)


@role_required(Role.HR)
@require_POST
@confirmation_required
def letter_reissue(request, pk):
    """A new version of a head's letter, from the institution's targets as they are now."""
    letter = letter_get_for_user(request.user, pk=pk)
    if letter.level != Level.HEAD:
        raise Http404
    try:
        new = services.letter_issue(
            actor=request.user, scheme=letter.scheme, institution=letter.institution
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("letters:letter_detail", pk=letter.pk)
    if new.pk != letter.pk:
        messages.success(
            request,
            _("Version %(version)s is issued; its holder signs it again.")
            % {"version": new.version},
        )
    return redirect("letters:letter_detail", pk=new.pk)


@login_required
def letter_download(request, pk):
    letter = letter_get_for_user(request.user, pk=pk)
    html = exporting.letter_html(letter, _letter_context(request, letter))
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=exporting.letter_filename(letter)
    )
    return response


def _rows_requested(request) -> int:
    try:
        return int(request.GET.get("rows", CASCADE_ROWS))
    except ValueError:
        return CASCADE_ROWS


def _cascade_refused(request, letter: Letter):
    """A letter that cannot be decomposed (not signed yet, or a staff letter): back to it."""
    messages.error(
        request,
        _("Staff letters are not decomposed further.")
        if letter.level == Level.STAFF
        else _("A letter is decomposed once its holder has signed it."),
    )
    return redirect("letters:letter_detail", pk=letter.pk)


def _cascade_page(request, letter: Letter, formset, formset_class, *, refusal=(), checked=None):
    given = selectors.decomposed_so_far(letter)
    items = [(item, given.get(item.pk)) for item in formset.form_kwargs["items"]]
    context = {
        "letter": letter,
        "formset": formset,
        "items": items,
        "refusal": list(refusal),
        "checked": checked,
        "next_level": selectors.LEVEL_LABELS_ZH[LEVEL_ORDER[LEVEL_ORDER.index(letter.level) + 1]],
        "more_rows": formset_class.extra + CASCADE_ROWS,
    }
    if checked is not None:
        # The dialog posts the checked rows again, as they were typed.
        context["resubmit"] = [
            (name, value)
            for name, values in request.POST.lists()
            if name not in ("csrfmiddlewaretoken", "confirm", "reason")
            for value in values
        ]
    status = 200 if request.method == "GET" or (checked and not refusal) else 400
    return render(request, "letters/letter_cascade.html", context, status=status)


def _cascade_formset(request, letter: Letter):
    items = list(letter.items.filter(kind=LetterItem.Kind.TARGET).order_by("sort_order", "id"))
    formset_class = cascade_formset(_rows_requested(request))
    formset = formset_class(
        request.POST or None,
        form_kwargs={"items": items, "institution": letter.institution},
        prefix="rows",
    )
    return formset, formset_class


@login_required
@require_http_methods(["GET", "POST"])
def letter_cascade(request, pk):
    """Letters one level down from a signed letter, by its holder or HR: the form (GET), then
    its check (POST: nothing is issued; what would be, with the dialog that issues it)."""
    letter = letter_get_for_user(request.user, pk=pk)
    if not services.can_cascade(request.user, letter):
        raise PermissionDenied
    if letter.status not in CASCADABLE or letter.level == Level.STAFF:
        return _cascade_refused(request, letter)
    formset, formset_class = _cascade_formset(request, letter)
    if request.method == "POST" and formset.is_valid():
        children = formset.children()
        try:
            services.letter_cascade_check(actor=request.user, parent=letter, children=children)
        except ValidationError as error:
            return _cascade_page(request, letter, formset, formset_class, refusal=error.messages)
        return _cascade_page(request, letter, formset, formset_class, checked=children)
    return _cascade_page(request, letter, formset, formset_class)


@login_required
@require_POST
def letter_cascade_issue(request, pk):
    """Issue the checked letters one level down, once confirmed in the dialog."""
    # Scope and right first, as for every other letter route (404 / 403), then the confirmation.
    letter = letter_get_for_user(request.user, pk=pk)
    if not services.can_cascade(request.user, letter):
        raise PermissionDenied
    return _cascade_issue(request, letter=letter)


@confirmation_required
def _cascade_issue(request, *, letter: Letter):
    if letter.status not in CASCADABLE or letter.level == Level.STAFF:
        return _cascade_refused(request, letter)
    formset, formset_class = _cascade_formset(request, letter)
    if not formset.is_valid():
        return _cascade_page(request, letter, formset, formset_class)
    try:
        children = services.letter_cascade(
            actor=request.user, parent=letter, children=formset.children()
        )
    except ValidationError as error:  # the letters below changed since the check
        return _cascade_page(request, letter, formset, formset_class, refusal=error.messages)
    messages.success(request, _("%(n)s letters are issued one level down.") % {"n": len(children)})
    return redirect("letters:letter_detail", pk=letter.pk)


# --- HR's status of a year -----------------------------------------------------------------------


@role_required(Role.HR, Role.AUDITOR)
def status(request, year):
    """The year's letters per institution and level, unsigned first (or sorted by any column),
    for every group or one; HR issues the head's letters from here, after a dialog that says
    what issuing would do to how many institutions."""
    scheme = scheme_get_for_user(request.user, year=year)
    filterset = StatusFilterSet(request.GET or None, queryset=selectors.status_row_list(scheme))
    group = filterset.form.cleaned_data.get("group") if filterset.is_valid() else None
    not_issued = selectors.institutions_without_letter(scheme)
    if group is not None:
        not_issued = not_issued.filter(group=group)
    can_issue = has_role(request.user, Role.HR)
    context = {
        "scheme": scheme,
        "filter": filterset,
        "group": group,
        "rows": selectors.status_rows(scheme, filterset.qs),
        "not_issued": not_issued,
        "can_issue": can_issue,
    }
    if can_issue:
        institutions = selectors.institutions_to_issue(scheme, group.code if group else None)
        context["preview"] = selectors.issue_preview(scheme, institutions)
    return render(request, "letters/status.html", context)


@role_required(Role.HR, Role.AUDITOR)
def status_export(request, year):
    scheme = scheme_get_for_user(request.user, year=year)
    return FileResponse(
        exporting.status_workbook(scheme),
        as_attachment=True,
        filename=exporting.status_filename(scheme),
        content_type=exporting.XLSX_CONTENT_TYPE,
    )


@role_required(Role.HR)
@require_POST
@confirmation_required
def status_issue(request, year):
    """Issue (or reissue where targets changed) the head's letter of every institution in an
    assessment group — or of one group, or one institution — reporting those skipped and why."""
    scheme = scheme_get_for_user(request.user, year=year)
    form = IssueForm(request.POST)
    back = reverse("letters:status", args=[scheme.year])
    if not form.is_valid():
        for message in form.errors.values():
            messages.error(request, " ".join(message))
        return redirect(back)
    group = form.cleaned_data["group"]
    if group is not None:
        back += "?" + urlencode({"group": group.code})
    institutions = selectors.institutions_to_issue(scheme, group.code if group else None)
    if form.cleaned_data["institution"]:
        institutions = institutions.filter(code=form.cleaned_data["institution"])
    report = services.letters_issue(actor=request.user, scheme=scheme, institutions=institutions)
    messages.success(
        request,
        _("%(issued)s letters issued; %(unchanged)s already up to date.")
        % {"issued": len(report.issued), "unchanged": len(report.unchanged)},
    )
    for institution, reason in report.skipped:
        messages.warning(
            request,
            _("Not issued to %(code)s %(name)s: %(reason)s.")
            % {"code": institution.code, "name": institution.name, "reason": reason},
        )
    return redirect(back)
