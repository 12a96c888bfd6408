"""Test fixtures for ParkGrid: real infrastructure, isolated per test."""
