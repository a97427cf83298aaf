import hot_restart
import helper
from helper import parse

print("parsed:", helper.Parser().run("21"))
print("direct:", parse("5"))
