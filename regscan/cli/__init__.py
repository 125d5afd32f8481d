"""The commands (`regscan ...`), the top layer (does I/O): each turns its argparse
namespace into a typed options object once, then calls the library.
"""
