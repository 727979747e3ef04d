"""Regions: the city's administrative divisions, streets and management grid (网格).

Holds the county-level divisions (区县), the functional zones that administer some
of their land (郑东新区, 经开区, 高新区, 航空港区), the township-level units
(街道/乡镇, called *streets* here) and the grid cells (网格) of grid-based city
management. Every other pillar asks this one where a point lies: ``service.locate``
turns a coordinate (WGS-84, GCJ-02 or BD-09) into grid cell, street, district and
zone. Boundaries are WGS-84; until an operator loads official ones, the demo city
runs on clearly labelled synthetic geometry from ``geometry.py``.
"""
