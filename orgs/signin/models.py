from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    LDAP = "ldap", _("Directory (LDAP)")
    OIDC = "oidc", _("Single sign-on (OIDC)")


class ExternalAccount(models.Model):
    """外部账号: a local account's identity at the directory or the OpenID Connect provider. An
    account with one is signed in by that source only (its local password is unusable), and a
    source signs in no local account without one: a directory user named like a local account
    does not take it over (docs/SIGN_IN.md, "Local accounts")."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="external_accounts",
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    # LDAP: the directory's username, case-folded; OIDC: the provider's `sub` claim.
    subject = models.CharField(_("identity at the source"), max_length=255)
    created_at = models.DateTimeField(_("linked"), auto_now_add=True)
    last_login_at = models.DateTimeField(_("last sign-in"), null=True, blank=True)

    class Meta:
        verbose_name = _("external account")
        verbose_name_plural = _("external accounts")
        ordering = ["source", "subject"]
        constraints = [
            models.UniqueConstraint(fields=["source", "subject"], name="externalaccount_subject"),
            models.UniqueConstraint(fields=["user", "source"], name="externalaccount_one_per_user"),
        ]

    def __str__(self):
        return f"{self.get_source_display()}: {self.subject}"
