from fundapp import create_app
from fundapp.core import heap

app = create_app()
heap.settle()  # each worker imports this module once, after which start-up's objects live for good
