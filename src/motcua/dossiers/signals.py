"""Domain events of dossiers. Receivers run after the transaction commits."""

from django.dispatch import Signal

# Sent with: dossier, event (DossierEvent), transition (Transition)
dossier_transitioned = Signal()
