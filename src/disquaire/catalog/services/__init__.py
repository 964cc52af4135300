"""What the catalogue writes: importing releases, processing tracks in the worker, editing
releases from the backstage. One module each."""
