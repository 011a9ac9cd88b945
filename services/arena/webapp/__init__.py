"""The web app's static files: a tiny HTTP server Envoy routes the app's GET requests to.

The app (web-bridge/app, built by Vite into web-bridge/dist) is plain files. ``server.py`` serves
them on a loopback port with the right content types, long caching for Vite's hashed assets, no
caching for ``index.html``, the Content-Security-Policy on every answer, and ``index.html`` for the
app's client-side routes. Without a build it answers every path with a 503 page saying how to build.
"""
