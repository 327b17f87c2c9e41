"""Tests of MEDL, the register behind the feed's periodeId."""
