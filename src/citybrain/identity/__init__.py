"""Identity and access: people, enterprises, departments, accounts with roles, API keys.

People's 身份证号 and phone numbers are kept only as ciphertext, a blind index for
look-up and a masked form for display (see ``citybrain.core.crypto``).
"""
