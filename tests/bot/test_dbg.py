import discord.ext.test as dpytest
async def test_dbg(bot, channel):
    me = channel.guild.me
    print("me", me, me.id == bot.user.id)
    await dpytest.set_permission_overrides(me, channel, send_messages=False)
    print(channel.overwrites, channel.permissions_for(channel.guild.get_member(bot.user.id)).send_messages)
    print(dpytest.get_config().channels[0].overwrites)
