{% load static %}// The merch table's service worker: the app's page and files from the cache when the
// network is away (a basement after the show). Workbox, vendored from npm (package.json).
importScripts({% for url in workbox %}"{{ url }}"{% if not forloop.last %}, {% endif %}{% endfor %});

const { registerRoute } = workbox.routing;
const { NetworkFirst, CacheFirst } = workbox.strategies;
const SCOPE = "{% url 'table:home' %}";
const STATIC = "{% get_static_prefix %}";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// The app's page (and its manifest): fresh when the network answers within a few
// seconds, else the copy kept.
registerRoute(
  ({ request, url }) =>
    url.origin === self.location.origin &&
    url.pathname.startsWith(SCOPE) &&
    (request.mode === "navigate" || url.pathname.endsWith("/manifest.webmanifest")),
  new NetworkFirst({ cacheName: "table-shell", networkTimeoutSeconds: 4 }),
);

// Static files have their content's hash in their name: a kept copy is always right.
registerRoute(
  ({ url }) => url.origin === self.location.origin && url.pathname.startsWith(STATIC),
  new CacheFirst({ cacheName: "table-static" }),
);

// Covers on the product buttons.
registerRoute(
  ({ url }) => url.origin === self.location.origin && url.pathname.startsWith("/covers/"),
  new CacheFirst({ cacheName: "table-images" }),
);
