"""The gateway on EC2/ECS under gunicorn: `gunicorn -c gunicorn.conf.py entrypoints.gateway:app`.

Which modules run here and which are proxied comes from VIDEOFORGE_MODULES and VIDEOFORGE_REMOTE_MODULES.
"""

from videoforge.app import create_app

app = create_app()
