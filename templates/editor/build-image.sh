#!/bin/sh
# Placeholder of the editor's recipe, so that the catalogue (and the tests of pads) know the
# `editor` template: the real recipe (Debian appliance + Etherpad 1.8.14) replaces this file.
echo "build-image.sh: the editor's image recipe is not in this tree yet" >&2
exit 1
