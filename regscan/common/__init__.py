"""What every layer shares (pure): the error tree, timestamps, the store layout, and the
schemas that cross a process boundary (Registry spec/status, discovery result, report,
run index, the controller→Job contract). Imports no client library.
"""
