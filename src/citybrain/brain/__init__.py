"""城市大脑 brain: the city's data hub.

Sensor feeds and the other pillars' facts are kept as NGSI-LD entities (ETSI GS CIM 009)
with their history, served under ``/ngsi-ld/v1`` to sensors, platforms and FIWARE
clients; subscriptions notify other systems of changes; the 118 application scenarios
(应用场景) are described as data. Used by the command centre, leaders and analysts.
"""
