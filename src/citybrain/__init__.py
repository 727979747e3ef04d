"""citybrain: a city's digital government in one package.

Pillars: servicehub (一网通办), governance (一网统管), citycode (一码通城),
brain (城市大脑) and portal (一端惠城), over a shared foundation in `core`,
`identity` and `regions`.
"""

__version__ = "0.1.0"
