"""regscan Job-container code (the layer below the controller): discovery, scanning, the
object store, and the Jobs' work. It never imports `controller` or `regscan.cli`.
"""
