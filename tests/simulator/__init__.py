"""Tests of the synthetic upstream (simulator/)."""
