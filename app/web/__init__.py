"""The web process: the Flask app (`factory.create_app`), its routes and the services they share."""
