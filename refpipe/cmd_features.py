"""Imports every feature command module so that its commands register on the shared app."""
