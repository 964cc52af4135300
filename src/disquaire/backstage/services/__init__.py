"""What the dashboard itself writes: accounts, invitations, members, uploads, deletions,
the band's work on orders. One module each; catalogue changes go through
``disquaire.catalog.services``."""
