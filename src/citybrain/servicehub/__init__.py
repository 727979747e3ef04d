"""一网通办 (servicehub): the service catalog, one-thing bundles, applications and e-licences.

Residents and enterprises browse items, answer a bundle's situation questions, submit one
merged form and follow one application; department clerks accept, correct and decide
their own item on a working-day clock; grants become signed e-licences that later
applications use in place of paper materials. Called by its API (``views.py``), the
pages (``portal/servicehub.py``), the CLI (``citybrain services``) and the demo loader.
"""
