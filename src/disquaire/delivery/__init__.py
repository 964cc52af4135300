"""Digital downloads: what a fan is entitled to (entitlements), the signed links and the
download page, the release zips, and the download codes printed on cards. Parcels and
their shipping are not here: they belong to the orders and the shop."""
