"""The consultation service: LivingWages V2 and LivingWagesWithAmount V1 over SOAP, with a JSON mirror.

It reads published snapshots only (``kernel.snapshots``), never the warehouse. Layers, bottom up:
``schemas`` (WSDL/XSD files and compiled validators), ``xmlsafe`` (hostile-XML refusal), ``periods``
(merging and clipping), ``index`` (opening the per-person index files ``kernel.index`` publishes with each
snapshot, or building them for a snapshot published without them) and ``snapshot_store``
(the current snapshot with its indexes, swapped on a switch), ``auth`` (HTTP Basic against argon2id hashes),
``consult`` (the business checks of CONTRACT section 4.3 and the answers), ``pipeline`` (one consultation
whatever the channel: the checks in order and one audit record), ``channels`` (SOAP V2, SOAP WithAmount, JSON:
parse, render, fault), ``audit`` and ``metrics``, ``handlers`` (the running service: answer, then wait for the
audit record) and ``app``, which wires them into one ASGI application.

Beside the consultations, the other ways the network receives what the snapshots hold: ``channels.batch`` (batch
files, answered through the same pipeline), ``notifications`` (the notifier's delivery of the due notifications, and
the reference subscriber) and ``extracts`` (the periodic extracts). They read published snapshots too.
"""
