"""Notifications (CONTRACT §6): delivering the due notifications a snapshot publishes to the subscribers.

The pipeline computes what is due (``due_notifications`` in each published snapshot); this package delivers it,
with its own store and its own single writer, apart from the warehouse:

- ``config``: the notifier's settings (environment variables, checked before anything starts);
- ``message``: the wire format of §6, both sides (the notification we send, the answer we read);
- ``store``: the delivery state under ``$LWW_HOME/notifications/`` (SQLite, WAL): import by ticket, attempts;
- ``client``: one outbound SOAP call (timeouts, TLS, no redirects, bounded answer) and what its outcome means;
- ``delivery``: the loop: per subscriber, concurrent across rights, in ``sequence`` order within a right;
- ``subscriber``: the reference subscriber (``lww subscriber``), the other side of the wire, for demos and tests.
"""
