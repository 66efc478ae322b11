/* keys — the `corral keys` role: create, list and revoke API keys.
 *
 *   corral keys create --tenant NAME [--data-dir DIR]
 *   corral keys list [--tenant NAME] [--data-dir DIR]
 *   corral keys revoke ID|PREFIX [--data-dir DIR]
 *
 * The store is --data-dir, else $CORRAL_DATA_DIR, else ./data (any location
 * store_open() accepts). A created key is printed once, on stdout, and is
 * kept nowhere but as a hash; listings show its id and prefix only. */
#ifndef CORRAL_KEYS_H
#define CORRAL_KEYS_H

/* argv[0] is "keys". Returns the exit status: 0, 1 on failure, 2 on bad usage. */
int keys_main(int argc, char **argv);

#endif
