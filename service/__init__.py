"""The consultation service: LivingWages V2 and LivingWagesWithAmount V1 over SOAP, with a JSON mirror.

It reads published snapshots only (``kernel.snapshots``), never the warehouse. Layers, bottom up:
``schemas`` (WSDL/XSD files and compiled validators), ``xmlsafe`` (hostile-XML refusal), ``periods``
(merging and clipping), ``store`` (the current snapshot loaded into per-person in-memory indexes, swapped on a switch),
``auth`` (HTTP Basic against argon2id hashes), ``consult`` (the checks of CONTRACT section 4.3 and the
answers), ``soap`` and ``json_api`` (the two wire formats), ``audit`` and ``metrics``, ``handlers`` (the
request pipeline of both channels) and ``app``, which wires them into one ASGI application.
"""
