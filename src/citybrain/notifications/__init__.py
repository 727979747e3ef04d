"""Notifications: what a resident, an enterprise or a staff member is told when
something of theirs changes (an application accepted, a correction needed, a case
closed). Pillars call ``notifications.service.send``; the app reads them as a list
or live, as server-sent events, without reloading."""
