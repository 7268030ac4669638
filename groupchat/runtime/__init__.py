"""The runtime: the machinery that carries the message path, behind one wall.

What lives here: the ASGI server process's settings (``process``), the channel layer with direct receivers
(``layer``), the broadcast transport (``fanout``), eager socket writes (``eager``), work in rounds (``rounds``), the
two-stage send batcher (``batcher``), the database threads that keep their connections (``threads``) and the HTTP
thread pool (``http``).

Who may import it: the ASGI entry point (groupchat/asgi.py, groupchat/ws_auth.py, groupchat/routing.py) and the socket
consumer (groups/consumers.py). The domain (accounts, groups' services, selectors and models, and every app above
them) and the kernel (groupchat.core) may not, nor channels or asgiref: import-linter contracts in pyproject.toml,
checked by ``lint-imports`` in ``make test``. The domain hands the runtime synchronous, typed functions
(``groups.services.messages.message_send_many``); the runtime decides on which thread and in which batch they run.
"""
