"""Deployment entrypoints: each file builds the app for one topology and binds one name."""
