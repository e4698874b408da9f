import os
import sys

# The numpy oracle lives next to the tests.
sys.path.insert(0, os.path.dirname(__file__))
