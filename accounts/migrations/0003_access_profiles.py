import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_signup_request"),
        ("licensing", "0003_services_and_online_desktop"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccessProfile",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "template",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("super_user", "Super user"),
                            ("sales", "Sales"),
                            ("service", "Service"),
                            ("time_registration", "Time registration"),
                            ("read_only", "Read only"),
                        ],
                        max_length=32,
                        verbose_name="template",
                    ),
                ),
                ("name", models.CharField(blank=True, max_length=100, verbose_name="name")),
                ("rights_json", models.JSONField(blank=True, default=dict, verbose_name="rights")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                (
                    "company",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="access_profiles",
                        to="licensing.company",
                        verbose_name="company",
                    ),
                ),
            ],
            options={
                "verbose_name": "access profile",
                "verbose_name_plural": "access profiles",
            },
        ),
        migrations.AddConstraint(
            model_name="accessprofile",
            constraint=models.UniqueConstraint(
                condition=models.Q(("template", ""), _negated=True),
                fields=("template",),
                name="one_row_per_template",
            ),
        ),
        migrations.AddConstraint(
            model_name="accessprofile",
            constraint=models.UniqueConstraint(
                condition=models.Q(("company__isnull", False)),
                fields=("company", "name"),
                name="custom_profile_names_unique_per_company",
            ),
        ),
        migrations.AddConstraint(
            model_name="accessprofile",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("company__isnull", True), models.Q(("template", ""), _negated=True)),
                    models.Q(
                        ("company__isnull", False),
                        ("template", ""),
                        models.Q(("name", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="template_xor_custom_profile",
            ),
        ),
        # Nullable until the next migration has given every existing member a profile.
        migrations.AddField(
            model_name="membership",
            name="profile",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="memberships",
                to="accounts.accessprofile",
                verbose_name="access profile",
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="is_default",
            field=models.BooleanField(
                default=False,
                help_text="The company this ID opens after signing in.",
                verbose_name="default company",
            ),
        ),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_default", True)),
                fields=("user",),
                name="one_default_company_per_id",
            ),
        ),
    ]
