# Run by bench/pretix.sh through `python -m pretix shell`: an organizer, a live event with one
# free admission item on an unlimited quota, and a team API token with every permission.
from datetime import timedelta

from django.utils.timezone import now
from django_scopes import scopes_disabled
from pretix.base.models import Event, Item, Organizer, Quota, Team

with scopes_disabled():
    o = Organizer.objects.create(name="Bench", slug="bench")
    e = Event.objects.create(organizer=o, name="Atelier", slug="atelier", date_from=now() + timedelta(days=10),
                             live=True, currency="EUR")
    i = Item.objects.create(event=e, name="Place", default_price=0, admission=True)
    q = Quota.objects.create(event=e, name="Places", size=None)
    q.items.add(i)
    t = Team.objects.create(organizer=o, name="API", all_events=True, all_event_permissions=True,
                            all_organizer_permissions=True)
    tok = t.tokens.create(name="bench")
    print("PRETIX_SETUP", tok.token, i.pk, q.pk)
