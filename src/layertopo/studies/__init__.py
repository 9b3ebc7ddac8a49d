"""Reproductions of published studies, built from layertopo's own stages."""
