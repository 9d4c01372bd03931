"""The periodic extracts (CONTRACT §7): files SPP IS sends on a calendar, read from a published snapshot.

One module per extract (``finances``: SPF Finances, yearly, from the amounts; ``ssh``: the harmonised social
statuses, monthly, from the rights), each saying what its records are and how its control figures are computed
from the marts; the rest is shared:

- ``source``: the published snapshot an extract reads (never the warehouse), its R and its recipients;
- ``xmlout``: the streamed XML writer (the project's XSD, ``xsd/extracts-v1.xsd``);
- ``control``: the control block, counted from the file as written and compared with the marts' figures;
- ``delivery``: staging, then release (``FO.`` name, temporary name then rename, the empty ``GO`` file last), the
  manifest operators read (``$LWW_HOME/extracts/manifest.jsonl``) and the audit record naming the recipient.

A run is three steps, the same from ``lww extract`` and from Dagster: :func:`service.extracts.delivery.stage`
writes the file under ``extracts/staging/``, :func:`service.extracts.control.verify` compares its control block and
its records with the marts, :func:`service.extracts.delivery.release` gives it its name. A file whose figures differ
is never released.
"""
