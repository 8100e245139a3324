"""Pytest fixtures for local fakes of outside services (the WeChat API)."""
