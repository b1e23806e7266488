"""API views of the target responsibility letters. Thin, like the pages: letters come through
letters.access (outside the caller's scope → 404), every change through letters.services (which
check the actor, validate and audit); a service's ValidationError is a 400 on its field names and
its PermissionDenied a 403. Letters are never updated or deleted through the API (405): a change of
targets makes a new version, issued by HR."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled
from rest_framework.response import Response

from letters import access, services
from letters.filters import LetterFilterSet, with_level_rank
from letters.models import Letter, LetterItem, Level
from orgs.api.views import drf_validation_error
from orgs.lockout import PasswordLocked, password_reconfirm
from orgs.middleware import client_address

from .permissions import IsHR, SignedIn
from .serializers import (
    LetterIssueSerializer,
    LetterSerializer,
    LetterSignSerializer,
    LetterVerifySerializer,
)


class LetterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Target responsibility letters (目标责任书). HR and auditors read every letter, an institution
    head every level of their institution's, anyone the letters addressed to them to sign (a
    deputy, department or member of staff may have no role). The signer signs with their
    password; HR countersigns and issues."""

    serializer_class = LetterSerializer
    permission_classes = [SignedIn]
    filterset_class = LetterFilterSet

    def get_queryset(self):
        return (
            with_level_rank(access.letters_visible_to(self.request.user))
            .select_related("scheme", "institution", "signer", "countersigned_by")
            .prefetch_related(
                Prefetch("items", queryset=LetterItem.objects.select_related("indicator"))
            )
            .order_by("-scheme__year", "institution__code", "level_rank", "holder_name", "-version")
        )

    def get_object(self):
        letter = access.letter_get_for_user(self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, letter)
        return letter

    def _answer(self, letter, status_code=status.HTTP_200_OK):
        # Read back as the list shows it (a letter the caller acted on is in their scope).
        letter = self.get_queryset().get(pk=letter.pk)
        return Response(LetterSerializer(letter).data, status=status_code)

    def retrieve(self, request, pk=None, **kwargs):
        return self._answer(self.get_object())

    @extend_schema(request=None, responses=LetterVerifySerializer)
    @action(detail=True, methods=["get"])
    def verify(self, request, pk=None, **kwargs):
        """Recompute the hash of the stored content and compare it with the one frozen at
        signing."""
        letter = self.get_object()
        verified = services.letter_verify(letter) if letter.is_signed else None
        body = {
            "verified": verified,
            "sha256": letter.content_sha256,
            "computed_sha256": services.content_hash(letter.content),
        }
        return Response(LetterVerifySerializer(body).data)

    @extend_schema(request=LetterSignSerializer, responses=LetterSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None, **kwargs):
        """The signer signs their own letter, entering their password again: the content is
        frozen with its SHA-256, the time and the client address. Nobody signs for someone else
        (403); signing a signed letter again changes nothing."""
        letter = self.get_object()
        if request.user.pk != letter.signer_id:
            raise PermissionDenied  # before the body is read: 403 whatever it holds
        serializer = LetterSignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        password = serializer.validated_data["password"]
        if letter.status == Letter.Status.ISSUED:
            # Counted toward the login's lockout (429 while locked), outside the signing's
            # transaction. A letter signed already changes nothing and asks nothing.
            try:
                password_reconfirm(
                    request, user=request.user, password=password, wrong=services.WRONG_PASSWORD
                )
            except PasswordLocked as e:
                if e.wrong_password:
                    services.letter_sign_failed(actor=request.user, letter=letter)
                raise Throttled(detail=" ".join(e.messages)) from e
            except DjangoValidationError as e:
                services.letter_sign_failed(actor=request.user, letter=letter)
                raise drf_validation_error(e) from e
        try:
            letter = services.letter_sign(
                actor=request.user,
                letter=letter,
                password=password,
                client_address=client_address(request._request),
            )
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        return self._answer(letter)

    @extend_schema(request=None, responses=LetterSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsHR])
    def countersign(self, request, pk=None, **kwargs):
        """HR countersigns a signed letter whose content still matches its hash: it becomes
        effective and the version it replaces is superseded."""
        letter = self.get_object()
        try:
            letter = services.letter_countersign(actor=request.user, letter=letter)
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        return self._answer(letter)

    @extend_schema(
        request=LetterIssueSerializer, responses={200: LetterSerializer, 201: LetterSerializer}
    )
    @action(detail=False, methods=["post"], permission_classes=[IsHR])
    def issue(self, request, **kwargs):
        """Issue the head's letter of an institution for a year (201), or a new version of it when
        the targets changed. When the current version already says exactly this, it is answered
        unchanged (200)."""
        serializer = LetterIssueSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        scheme = serializer.validated_data["scheme"]
        institution = serializer.validated_data["institution"]
        existing = set(
            Letter.objects.filter(
                scheme=scheme, institution=institution, level=Level.HEAD
            ).values_list("pk", flat=True)
        )
        try:
            letter = services.letter_issue(
                actor=request.user, scheme=scheme, institution=institution
            )
        except DjangoValidationError as e:
            raise drf_validation_error(e) from e
        created = letter.pk not in existing
        return self._answer(letter, status.HTTP_201_CREATED if created else status.HTTP_200_OK)
