"""A throw-away module of the stockade test image; layer 7 deletes it and its dist-info."""
VERSION = "0.1"
