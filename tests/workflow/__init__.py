"""Tests of workflow/: --payload, --wait, wait, batch, against serve."""
