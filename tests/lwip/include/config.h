/*
 * tests/lwip/include/config.h — empty on purpose.
 *
 * lwIP's test/unit/lwip_check.h includes <config.h> (an autoconf header of
 * the ports that build the suite); Weft's build has nothing to put in it.
 */
