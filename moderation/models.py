from .models_measures import *  # noqa
from .models_screening import *  # noqa
