import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_memberships_get_a_profile")]

    operations = [
        migrations.AlterField(
            model_name="membership",
            name="profile",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="memberships",
                to="accounts.accessprofile",
                verbose_name="access profile",
            ),
        ),
        migrations.RemoveField(model_name="membership", name="is_super_user"),
    ]
